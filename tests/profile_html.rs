//! The `--profile-html` heat map in a real browser: headless Chromium loads the page (with
//! no network: the page is one file), the DOM it builds has the source with the hottest loop
//! marked as the text report says, and a screenshot shows that loop in the hottest colour.
//!
//! Needs Debian's `chromium` (or `JITBF_CHROMIUM=/path/to/chrome`); without it the browser
//! part is skipped with a note on stderr, except under CI (`CI` set), where `.ci/run`
//! installs Chromium and the test fails instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// Two nested loops (at -O1, where they stay loops): the inner one (`[>+++<-]`, at column 19)
/// runs 64 times, the outer 8.
const PROGRAM: &str = "++++++++[>++++++++[>+++<-]<-]>>.";
const HOT: usize = 18;
/// The hottest colour step, `hsl(0, 100%, 50%)`.
const RED: [u8; 3] = [0xff, 0, 0];

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("JITBF_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// Chromium headless on `page` with `args`; its stdout. Fails after a minute.
fn browse(chrome: &Path, page: &Path, args: &[&str], profile: &Path) -> Vec<u8> {
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(["--window-size=1000,600", "--proxy-server=127.0.0.1:9"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(child.wait().unwrap().success(), "chromium failed");
    reader.join().expect("stdout reader")
}

#[test]
fn the_heat_map_shows_the_hottest_loop_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("profile.html");
    let out = Command::new(BIN)
        .args(["-O1", "--profile-html"])
        .arg(&page)
        .args(["-e", PROGRAM])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report = String::from_utf8_lossy(&out.stderr);
    // The text report names the inner loop first: 64 iterations, entered 8 times.
    let first = report.lines().nth(2).unwrap();
    assert!(first.contains("1:19") && first.contains("64"), "{report}");
    let html = std::fs::read_to_string(&page).unwrap();
    for outside in ["http:", "https:", "<script", "<link", "src=", "url("] {
        assert!(!html.contains(outside), "the page loads nothing: {outside}");
    }

    let Some(chrome) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing, and CI must run this test (.ci/run installs it)"
        );
        eprintln!("SKIPPED the browser part of the heat map test: no chromium");
        return;
    };
    let dom = browse(&chrome, &page, &["--dump-dom"], &dir.path().join("p1"));
    let dom = String::from_utf8_lossy(&dom);
    // The browser parsed the source into spans; the hottest is the inner loop.
    let hot = format!("<span class=\"h9\" id=\"L{HOT}\"");
    assert!(dom.contains(&hot), "{dom}");
    assert!(
        dom.contains("title=\"1:19 loop: 85.7% of the work, 64 iterations, entered 8\""),
        "{dom}"
    );

    let shot = dir.path().join("shot.png");
    browse(
        &chrome,
        &page,
        &[&format!("--screenshot={}", shot.display())],
        &dir.path().join("p2"),
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    // Red pixels: the hottest loop's row in the table and its code in the source, which
    // comes below the table.
    let red_rows: Vec<usize> = (0..h)
        .filter(|&y| (0..w).any(|x| buf[(y * w + x) * channels..][..3] == RED))
        .collect();
    let red = (0..w * h)
        .filter(|&i| buf[i * channels..][..3] == RED)
        .count();
    assert!(red > 300, "{red} red pixels");
    let (top, bottom) = (red_rows[0], *red_rows.last().unwrap());
    assert!(
        bottom - top > 40,
        "red in the table and in the source: rows {top}..{bottom}"
    );
}
