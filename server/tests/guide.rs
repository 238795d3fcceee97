//! The "Write your own game" guide (`server/src/games/README.md`) quotes the tag game's real
//! code: every fenced block whose info string names a file must appear in that file, line
//! for line, so the guide cannot drift from the code the test command compiles and tests.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// (file named in the info string, the block's lines) for every fenced block naming a file.
fn quoted_blocks(guide: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let file = info.split_whitespace().nth(1).map(str::to_owned);
        let body: Vec<String> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .map(|l| l.trim_end().to_owned())
            .collect();
        if let Some(file) = file {
            blocks.push((file, body));
        }
    }
    blocks
}

fn appears_in(block: &[String], file: &Path) -> bool {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    !block.is_empty()
        && lines
            .windows(block.len())
            .any(|w| w.iter().zip(block).all(|(a, b)| a == b))
}

#[test]
fn every_quoted_block_is_the_real_code() {
    let guide =
        std::fs::read_to_string(root().join("server/src/games/README.md")).expect("the guide");
    let blocks = quoted_blocks(&guide);
    assert!(
        blocks.len() >= 12,
        "the guide quotes the game's code ({} blocks)",
        blocks.len()
    );
    for (file, block) in &blocks {
        let path = root().join(file);
        assert!(
            path.is_file(),
            "the guide quotes {file}, which does not exist"
        );
        assert!(
            appears_in(block, &path),
            "the guide's block from {file} no longer matches the file; update the guide:\n{}",
            block.join("\n")
        );
    }
}
