use std::process::ExitCode;

use clap::Parser;

#[actix_web::main]
async fn main() -> ExitCode {
    vestibule::cli::run(vestibule::cli::Cli::parse()).await
}
