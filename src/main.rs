//! The `wecom-idp` binary: CLI → config → telemetry → library. Everything else lives in the library.

use clap::Parser;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use wecom_idp::config::LogFormat;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = wecom_idp::cli::Cli::parse();
    // The configuration says how to log, so it is read before anything logs; a command that needs
    // it reports a loading error itself (in text, since the format is then unknown).
    let config = wecom_idp::cli::load_config(&cli);
    let format = config.as_ref().map(|c| c.log_format).unwrap_or_default();
    init_logs(format);
    match wecom_idp::cli::run_with(cli, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            match format {
                LogFormat::Json => tracing::error!(error = %e, "wecom-idp stopped"),
                LogFormat::Text => eprintln!("error: {e}"),
            }
            std::process::ExitCode::from(2)
        }
    }
}

/// Logs to stderr, filtered by `WECOM_IDP_LOG` (or `RUST_LOG`), as text or as one JSON object a line
/// (event fields at the top level, the enclosing request span under `span`).
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_env("WECOM_IDP_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal: the journal and log files get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
