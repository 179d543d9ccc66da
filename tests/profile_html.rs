//! The `--profile-html` heat map in a real browser: headless Chromium loads the page (with
//! no network: the page is one file), the DOM it builds has the source with the hottest loop
//! marked as the text report says, and a screenshot shows that loop in the hottest colour.
//!
//! Needs Debian's `chromium` (or `JITBF_CHROMIUM=/path/to/chrome`); without it the browser
//! part is skipped with a note on stderr, except under CI (`CI` set), where `.ci/run`
//! installs Chromium and the test fails instead.

mod browser;

use std::process::Command;

use browser::{browse, chromium, screenshot};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// Two nested loops (at -O1, where they stay loops): the inner one (`[>+++<-]`, at column 19)
/// runs 64 times, the outer 8.
const PROGRAM: &str = "++++++++[>++++++++[>+++<-]<-]>>.";
const HOT: usize = 18;
/// The hottest colour step, `hsl(0, 100%, 50%)`.
const RED: [u8; 3] = [0xff, 0, 0];

/// The browser window, for the DOM and the screenshot alike.
const WINDOW: &str = "--window-size=1000,600";

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
    let dom = browse(
        &chrome,
        &page,
        &[WINDOW, "--dump-dom"],
        &dir.path().join("p1"),
    );
    let dom = String::from_utf8_lossy(&dom);
    // The browser parsed the source into spans; the hottest is the inner loop.
    let hot = format!("<span class=\"h9\" id=\"L{HOT}\"");
    assert!(dom.contains(&hot), "{dom}");
    assert!(
        dom.contains("title=\"1:19 loop: 85.7% of the work, 64 iterations, entered 8\""),
        "{dom}"
    );

    let shot = screenshot(&chrome, &page, &[WINDOW], &dir.path().join("p2"));
    let (w, h) = (shot.width, shot.height);
    // Red pixels: the hottest loop's row in the table and its code in the source, which
    // comes below the table.
    let red_rows: Vec<usize> = (0..h)
        .filter(|&y| (0..w).any(|x| shot.at(x, y) == RED))
        .collect();
    let red = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| shot.at(x, y) == RED)
        .count();
    assert!(red > 300, "{red} red pixels");
    let (top, bottom) = (red_rows[0], *red_rows.last().unwrap());
    assert!(
        bottom - top > 40,
        "red in the table and in the source: rows {top}..{bottom}"
    );
}
