//! The `safegrid` binary.

use clap::Parser;
use server::cli;
use server::config::{Cli, Command, UserCommand, WorldCommand};
use tracing_subscriber::EnvFilter;

/// mimalloc: the server allocates and frees many small strings and JSON values per request;
/// glibc's malloc spent a fifth of batch ingest in allocation and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A world file with errors ends the command with status 1 (the report is already printed).
fn valid(ok: bool) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(anyhow::anyhow!("the world file has errors (listed above) (基础数据有错误，见上)"))
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let args = Cli::parse();
    if let Some(path) = &args.taxonomy
        && let Err(e) = server::cli::install_taxonomy(path)
    {
        eprintln!("error: {e:#}");
        return std::process::ExitCode::from(1);
    }
    let serving = matches!(args.command, Command::Serve(_));
    let result = match args.command {
        Command::Serve(a) => cli::serve(a).await,
        Command::Demo(a) => cli::demo(a).await,
        Command::Import(a) => cli::import(a).await.map(drop),
        Command::Export(a) => cli::export(a).await,
        Command::Hotspots(a) => server::point_hotspots::run(a),
        Command::Backtest(a) => server::point_hotspots::backtest(a),
        Command::Migrate(a) => cli::migrate(a).await,
        Command::CopyStore(a) => cli::copy_store(a).await,
        Command::Backup(a) => cli::backup(a).await,
        Command::Plan(a) => cli::plan(a).await,
        Command::User(UserCommand::Add(a)) => cli::user_add(a).await,
        Command::User(UserCommand::List { store }) => cli::user_list(store).await,
        Command::User(UserCommand::Disable { store, name }) => cli::user_disable(store, name).await,
        Command::World(WorldCommand::Validate(a)) => {
            server::base_data::validate_file(a, &mut std::io::stdout().lock()).and_then(valid)
        }
        Command::World(WorldCommand::Import(a)) => {
            server::base_data::import(a, &mut std::io::stdout()).await.and_then(valid)
        }
        Command::World(WorldCommand::Export(a)) => server::base_data::export(a).await,
        Command::World(WorldCommand::Versions { store }) => {
            server::base_data::versions(store, &mut std::io::stdout()).await
        }
        Command::World(WorldCommand::Rollback(a)) => server::base_data::rollback(a, &mut std::io::stdout()).await,
        Command::World(WorldCommand::Placements { store }) => {
            server::base_data::check_placements(store, &mut std::io::stdout()).await.and_then(|ok| {
                if ok {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!(
                        "stored incidents lie elsewhere than stored (listed above) (有警情落点与所存网格不符，见上)"
                    ))
                }
            })
        }
    };
    let code = match result {
        Ok(()) => 0u8,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    if serving {
        // A stopped server does not wait for analyses still between checkpoints on the blocking
        // pool (dropping the runtime would): every acknowledged write is already durable.
        std::process::exit(i32::from(code));
    }
    std::process::ExitCode::from(code)
}
