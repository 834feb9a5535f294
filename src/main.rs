//! The `netlab` binary: parse, run, map the outcome to an exit code. Nothing else.

fn main() {
    std::process::exit(netlab::app::main_with_args(std::env::args_os()));
}
