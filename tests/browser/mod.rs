//! Headless Chromium for the tests that check a page jitbf writes in a real browser
//! (`tests/explore.rs`, `tests/profile_html.rs`).
//!
//! Needs Debian's `chromium` (or `JITBF_CHROMIUM=/path/to/chrome`). A test that finds none
//! says so on stderr and skips, except under CI (`CI` set), where `.ci/run` installs Chromium
//! and the test fails instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one page may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Chromium, if installed: `$JITBF_CHROMIUM`, else the first browser of that family on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("JITBF_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name))
        })
        .find(|p| p.is_file())
}

/// Runs Chromium headless on the file `page` with `args` (and a fresh profile directory
/// `profile`, so runs do not share state), with no network: the pages are single files.
/// Returns its stdout; panics if it fails or takes longer than a minute.
pub fn browse(chrome: &Path, page: &Path, args: &[&str], profile: &Path) -> Vec<u8> {
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    // Read while it runs: a DOM larger than a pipe's buffer would block it.
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().expect("chromium status");
    assert!(status.success(), "chromium failed: {status}");
    reader.join().expect("stdout reader")
}

/// A screenshot, decoded: `width` x `height` pixels, row by row.
pub struct Shot {
    pub width: usize,
    pub height: usize,
    pixels: Vec<[u8; 3]>,
}

impl Shot {
    /// The colour (red, green, blue) at column `x` of row `y`.
    pub fn at(&self, x: usize, y: usize) -> [u8; 3] {
        self.pixels[y * self.width + x]
    }
}

/// Loads `page` as [`browse`] does and takes a screenshot of it (written beside `profile`).
pub fn screenshot(chrome: &Path, page: &Path, args: &[&str], profile: &Path) -> Shot {
    let path = profile.with_extension("png");
    let shot = format!("--screenshot={}", path.display());
    let args: Vec<&str> = args.iter().copied().chain([shot.as_str()]).collect();
    browse(chrome, page, &args, profile);
    let file = std::fs::File::open(&path).expect("the screenshot");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let pixels = buf
        .chunks_exact(channels)
        .take(width * height)
        .map(|px| [px[0], px[1], px[2]])
        .collect();
    Shot {
        width,
        height,
        pixels,
    }
}
