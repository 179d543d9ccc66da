//! The explorer page (`jitbf explore`) in a real browser: headless Chromium loads the page,
//! a script clicks a command, an IR instruction and a machine instruction as a user would,
//! and reads back what lit up; the test compares that with the links the library computes.
//! A screenshot of the page after the click must show the highlight in all three panes.
//!
//! Needs Debian's `chromium` (or `JITBF_CHROMIUM=/path/to/chrome`). Without it the test
//! says on stderr that it skipped; under CI (`CI` set) it fails instead, because `.ci/run`
//! installs Chromium.

// Listings and pages of machine code need the JIT.
#![cfg(jitbf_jit)]

mod browser;

use std::process::Command;

use browser::{browse, chromium, screenshot};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// The program shown: a multiply loop, input and output.
const PROGRAM: &str = ",[>+++<-]>.";
/// The source byte clicked: the first `+`, part of `>+++<` (a check) and `+++` (an add).
const CLICKED: usize = 3;
/// The highlight colour (`--hl` in page.css).
const HIGHLIGHT: [u8; 3] = [0xff, 0xd1, 0x66];

/// What the injected script does: choose -O1, click things, write what is highlighted.
const PROBE: &str = r##"
<script>
(function () {
  const out = [];
  const lit = (sel) => [...document.querySelectorAll(sel + ".hl")];
  const record = (what) => {
    const lv = document.querySelector(".level.on");
    out.push(what + "|ops=" + lit(".level.on .op").map((e) => e.dataset.i).join(",")
      + "|ins=" + [...lv.querySelectorAll(".ins.hl")].map((e) => e.querySelector(".t").textContent).join(";")
      + "|src=" + lit("#source .c").map((e) => e.dataset.b).join(","));
  };
  const click = (el) => el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  document.querySelector('.tab[data-level="O1"]').click();
  const ins = () => [...document.querySelectorAll(".level.on .ins")];
  // An IR instruction, then a machine instruction, then the source byte (kept for the
  // screenshot).
  click(document.querySelector('.level.on .op[data-i="4"]'));
  record("op");
  const target = ins().find((e) => e.dataset.a === "4");
  click(target);
  record("ins");
  out.push("detail=" + document.getElementById("detail").textContent.split("\n").length);
  click(document.querySelector('#source .c[data-b="CLICKED"]'));
  record("src");
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = out.join("\n");
  document.body.appendChild(pre);
})();
</script>
</body>"##;

/// The browser window, for the DOM and the screenshot alike.
const WINDOW: &str = "--window-size=1400,700";

/// One recorded state: (IR indices, instruction texts, source bytes) lit.
fn parse_record(line: &str) -> (Vec<u32>, Vec<String>, Vec<usize>) {
    let mut parts = line.split('|').skip(1);
    let mut field = |name: &str| {
        let part = parts.next().expect("field");
        part.strip_prefix(name)
            .unwrap_or_else(|| panic!("{part} is not {name}"))
            .to_string()
    };
    let nums = |s: String| -> Vec<usize> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().unwrap())
            .collect()
    };
    let ops = nums(field("ops=")).into_iter().map(|x| x as u32).collect();
    let ins = field("ins=")
        .split(';')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect();
    let src = nums(field("src="));
    (ops, ins, src)
}

/// What the library says should light up for the IR instructions `ops` at -O1.
fn expected(ops: &[u32]) -> (Vec<String>, Vec<usize>) {
    use jitbf::jit::disasm::Entry;
    let config = jitbf::Config::default().opt_level(jitbf::OptLevel::O1);
    let program = jitbf::Program::new(PROGRAM, &config).unwrap();
    let jit = jitbf::jit::Jit::new(&program).unwrap();
    let ins = jit
        .listing()
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Insn(i) if ops.iter().any(|o| i.ir.contains(o)) => Some(i.text.clone()),
            _ => None,
        })
        .collect();
    let mut src: Vec<usize> = ops
        .iter()
        .flat_map(|&o| {
            let span = program.ir().code[o as usize].span;
            span.start as usize..span.end as usize
        })
        .filter(|&b| b"+-<>[].,".contains(&PROGRAM.as_bytes()[b]))
        .collect();
    src.sort();
    src.dedup();
    (ins, src)
}

#[test]
fn the_page_links_source_ir_and_code_in_a_browser() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing, and CI must run this test (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED the_page_links_source_ir_and_code_in_a_browser: no chromium \
             (apt-get install chromium, or set JITBF_CHROMIUM)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let out = Command::new(BIN)
        .args(["explore", "-e", PROGRAM, "-o"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let probed = dir.path().join("probed.html");
    let probe = PROBE.replace("CLICKED", &CLICKED.to_string());
    std::fs::write(&probed, html.replacen("</body>", &probe, 1)).unwrap();

    // The DOM after the clicks.
    let dom = browse(
        &chrome,
        &probed,
        &[WINDOW, "--dump-dom"],
        &dir.path().join("p1"),
    );
    let dom = String::from_utf8_lossy(&dom);
    let report = dom
        .split_once("<pre id=\"probe\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .unwrap_or_else(|| panic!("the probe did not run:\n{dom}"))
        .0
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&amp;", "&");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 4, "{report}");

    // An IR instruction: itself, its code and its source.
    let (ops, ins, src) = parse_record(lines[0]);
    assert_eq!(ops, [4], "{report}");
    assert_eq!((ins.clone(), src.clone()), expected(&ops), "{report}");
    assert!(!ins.is_empty(), "p[0] -= 1 has code: {report}");
    // A machine instruction: the IR instruction it implements, and its source.
    let (ops2, ins2, src2) = parse_record(lines[1]);
    assert_eq!((ops2, src2), (vec![4], src), "{report}");
    assert!(ins.contains(&ins2[0]), "{report}");
    // Its encoding is explained, a line per field under the instruction.
    let detail_lines: usize = lines[2].strip_prefix("detail=").unwrap().parse().unwrap();
    assert!(detail_lines >= 3, "{report}");
    // A source byte: every IR instruction made from it, their code and their source.
    let (ops3, ins3, src3) = parse_record(lines[3]);
    let program = jitbf::Program::new(
        PROGRAM,
        &jitbf::Config::default().opt_level(jitbf::OptLevel::O1),
    )
    .unwrap();
    let containing: Vec<u32> = (0..program.ir().code.len() as u32)
        .filter(|&i| {
            let span = program.ir().code[i as usize].span;
            (span.start as usize..span.end as usize).contains(&CLICKED)
        })
        .collect();
    assert!(containing.len() >= 2, "a check and an add");
    assert_eq!(ops3, containing, "{report}");
    assert_eq!((ins3, src3), expected(&containing), "{report}");

    // The screenshot after the same clicks shows the highlight in each pane.
    let shot = screenshot(&chrome, &probed, &[WINDOW], &dir.path().join("p2"));
    let (w, h) = (shot.width, shot.height);
    assert_eq!((w, h), (1400, 700));
    let mut lit_columns = [0usize; 3];
    for y in 0..h {
        for x in 0..w {
            if shot.at(x, y) == HIGHLIGHT {
                // The panes: source (left quarter), IR, machine code (right half).
                let pane = if x < w / 4 {
                    0
                } else if x < w / 2 {
                    1
                } else {
                    2
                };
                lit_columns[pane] += 1;
            }
        }
    }
    assert!(
        lit_columns.iter().all(|&n| n > 100),
        "highlight pixels per pane (source, IR, code): {lit_columns:?}"
    );
}
