//! `tlsim`: see `tlsim --help`.

fn main() {
    std::process::exit(tlsim::cli::main_with_args(std::env::args_os()));
}
