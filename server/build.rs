//! Gathers the browser client's served files (`client-web/index.html`, top-level assets and
//! `client-web/src/`) into OUT_DIR for embedding, leaving out its tests and node_modules.

use std::fs;
use std::path::{Path, PathBuf};

const SERVED_EXTENSIONS: &[&str] = &[
    "html",
    "js",
    "css",
    "svg",
    "png",
    "ico",
    "json",
    "webmanifest",
];

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let path = entry?.path();
        let dest = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &dest)?;
        } else {
            fs::copy(&path, dest)?;
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let client = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../client-web");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").map_err(std::io::Error::other)?).join("client");
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;
    println!("cargo:rerun-if-changed={}", client.join("src").display());
    if client.join("src").is_dir() {
        copy_tree(&client.join("src"), &out.join("src"))?;
    }
    for entry in fs::read_dir(&client)? {
        let path = entry?.path();
        let served = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SERVED_EXTENSIONS.contains(&e));
        if path.is_file()
            && served
            && path.file_name().is_some_and(|n| {
                n != "package.json" && n != "package-lock.json" && n != "tsconfig.json"
            })
        {
            println!("cargo:rerun-if-changed={}", path.display());
            fs::copy(&path, out.join(path.file_name().unwrap_or_default()))?;
        }
    }
    println!("cargo:rerun-if-changed={}", client.display());
    Ok(())
}
