//! The `netlab` binary: parse, run, map the outcome to an exit code. Nothing else.

fn main() {
    netlab::app::install_panic_hook(std::process::exit);
    std::process::exit(netlab::app::main_with_args(std::env::args_os()));
}
