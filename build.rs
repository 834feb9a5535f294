//! One link option for the release binary on Linux with glibc: relative relocations
//! packed (`-z pack-relative-relocs`, DT_RELR).
//!
//! netlab is a position-independent executable (ASLR, which matters for a binary that
//! may hold CAP_NET_RAW) with some 24,000 relative relocations: pointers in its tables
//! (vtables, `&str` arrays of clap, hickory, resvg, ...) that the dynamic loader adds the
//! load address to at every start. As RELA entries they are a 580 KB table that
//! `_dl_relocate_object` walks at 14 instructions an entry, about a third of the
//! instructions of `netlab resolve localhost`; packed, the table is a few KB of bitmaps
//! and a tenth of the work (BENCHMARKS.md, issue 17). rust-lld (Rust's default linker on
//! x86_64 Linux) and GNU ld 2.38 or later take the option; glibc 2.36 or later runs the
//! result (the binary then needs the `GLIBC_ABI_DT_RELR` version, which older loaders
//! refuse with a clear message). Release builds only: the tests' debug builds stay as
//! they were, and other targets (the cross checks of issue 18) are left alone.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let linux_gnu = env("CARGO_CFG_TARGET_OS") == "linux" && env("CARGO_CFG_TARGET_ENV") == "gnu";
    if linux_gnu && env("PROFILE") == "release" {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
