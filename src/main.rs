//! The `pustaka` command: a thin shell over the library crate.

use clap::Parser;

fn main() -> std::process::ExitCode {
    pustaka::cli::Cli::parse().run()
}
