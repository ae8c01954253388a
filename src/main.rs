//! The `refdesk` command: parses the command line and calls into the library.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDateTime, TimeZone, Utc};
use clap::{Parser, Subcommand};

use refdesk::adapters::terminal::TerminalAdapter;
use refdesk::chat::{ChatKind, Incoming, Platform, UserRef};
use refdesk::clock::{Clock, FixedClock, SystemClock};
use refdesk::config::Config;
use refdesk::daemon::{self, DaemonError, Tokens};
use refdesk::desk::Desk;
use refdesk::engine::{Engine, EngineConfig, Question};
use refdesk::eval::{self, HeldOutOutcome, Outcome, SelfCheckSummary, Summary};
use refdesk::knowledge::{self, Knowledge};
use refdesk::store::Store;

/// `println!` that returns the write error instead of panicking, so `refdesk eval ... | head`
/// ends quietly when the reader goes away (see `main`).
macro_rules! out {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "refdesk",
    version,
    about = "A chat reference desk for public library systems"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a knowledge directory: print every error and warning; exit 1 on errors.
    Check {
        #[arg(long, default_value = "knowledge")]
        knowledge: PathBuf,
    },
    /// Answer one question and print the answer.
    Ask {
        #[arg(long, default_value = "knowledge")]
        knowledge: PathBuf,
        /// The chat's branch id (a branch channel, or the patron's home branch).
        #[arg(long)]
        branch: Option<String>,
        /// The library-local time to answer at, e.g. 2026-12-01T10:00:00 (default: now).
        #[arg(long)]
        now: Option<String>,
        /// Print the answer contract as JSON.
        #[arg(long)]
        json: bool,
        /// Also print how the question was read (terms, FAQ candidates).
        #[arg(long)]
        explain: bool,
        /// The question.
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
    /// Run case files against the knowledge and report the pass rate.
    Eval {
        #[arg(long, default_value = "knowledge")]
        knowledge: PathBuf,
        /// Exit 1 when the overall pass rate (percent) is below this.
        #[arg(long)]
        min_pass: Option<f64>,
        /// Print every case, not only failures.
        #[arg(long)]
        verbose: bool,
        /// Escalate answers below this confidence (0 to 1; default from the engine).
        #[arg(long)]
        escalate_below: Option<f32>,
        /// Leave-one-out over the knowledge itself: ask every FAQ question and variant as if
        /// it had not been written, and report which ones the rest of the entry still answers.
        #[arg(long)]
        self_check: bool,
        /// The library-local time questions are asked at, e.g. 2026-12-01T10:00:00 (default: now).
        #[arg(long)]
        now: Option<String>,
        #[arg(required_unless_present = "self_check")]
        cases: Vec<PathBuf>,
    },
    /// Learn from labelled patron questions how topical each word is (which words patrons use
    /// in passing), and print the table the engine bundles as src/engine/topicality.txt.
    Learn {
        #[arg(long, default_value = "knowledge")]
        knowledge: PathBuf,
        #[arg(required = true)]
        cases: Vec<PathBuf>,
    },
    /// Talk to the bot in the terminal (no accounts or tokens needed), as a
    /// patron and, after `:staff`, as staff answering tickets.
    Chat {
        #[arg(long, default_value = "knowledge")]
        knowledge: PathBuf,
        /// Chat as if in this branch's channel (branch id).
        #[arg(long)]
        branch: Option<String>,
        /// Keep tickets and preferences in this directory (default: in memory, gone on exit).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Run the daemon: connect the configured platforms and serve until SIGINT or SIGTERM.
    Run {
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// What patrons asked that refdesk could not answer, and how staff kept up.
    Report {
        /// The daemon's data directory (stop the daemon first, or copy the directory).
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Only questions and tickets from this date on (YYYY-MM-DD).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// The knowledge directory, for reading the questions the way the engine does.
        #[arg(long, default_value = "knowledge")]
        knowledge: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        // The reader of our output went away (`refdesk eval ... | head`): nothing left to say.
        Err(error)
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|error| error.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("refdesk: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check { knowledge } => check(&knowledge),
        Command::Ask {
            knowledge,
            branch,
            now,
            json,
            explain,
            question,
        } => ask(
            &knowledge,
            branch.as_deref(),
            now.as_deref(),
            json,
            explain,
            &question.join(" "),
        ),
        Command::Eval {
            knowledge,
            min_pass,
            verbose,
            escalate_below,
            self_check,
            now,
            cases,
        } => {
            let mut config = EngineConfig::default();
            if let Some(threshold) = escalate_below {
                config.escalate_below = threshold;
            }
            let engine = Engine::new(load(&knowledge)?, config);
            let mut code = ExitCode::SUCCESS;
            if self_check {
                let now = instant(&engine, now.as_deref())?;
                run_self_check(&engine, now, verbose)?;
            }
            if !cases.is_empty() {
                code = evaluate(&engine, min_pass, verbose, &cases)?;
            }
            Ok(code)
        }
        Command::Learn { knowledge, cases } => {
            let engine = Engine::new(load(&knowledge)?, EngineConfig::default());
            let learner = refdesk::eval::learn_topicality(&engine, &cases)?;
            let cases: Vec<String> = cases.iter().map(|path| path.display().to_string()).collect();
            print!("{}", learner.render(&knowledge.display().to_string(), &cases));
            eprintln!("learn: {} questions from {} files", learner.questions(), cases.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat {
            knowledge,
            branch,
            data,
        } => chat(&knowledge, branch, data.as_deref()),
        Command::Run { config, log_format } => run_daemon(&config, log_format),
        Command::Report { data, since, knowledge } => report(&data, since, &knowledge),
    }
}

fn load(directory: &Path) -> Result<Arc<Knowledge>> {
    match knowledge::load_dir(directory) {
        Ok((knowledge, warnings)) => {
            for warning in warnings {
                eprintln!("{warning}");
            }
            Ok(Arc::new(knowledge))
        }
        Err(error) => {
            for diagnostic in &error.diagnostics {
                eprintln!("{diagnostic}");
            }
            bail!(
                "{} did not load; run `refdesk check --knowledge {}`",
                directory.display(),
                directory.display()
            )
        }
    }
}

fn check(directory: &Path) -> Result<ExitCode> {
    match knowledge::load_dir(directory) {
        Ok((knowledge, mut diagnostics)) => {
            let engine = Engine::new(Arc::new(knowledge), EngineConfig::default());
            diagnostics.extend(refdesk::check::check(&engine, SystemClock.now()));
            for diagnostic in &diagnostics {
                out!("{diagnostic}");
            }
            let knowledge = engine.knowledge();
            let faq_count =
                knowledge.faqs.len() + knowledge.branches.iter().map(|branch| branch.faqs.len()).sum::<usize>();
            out!(
                "ok: {} branches, {faq_count} FAQ entries, {} events; {} warning(s)",
                knowledge.branches.len(),
                knowledge.events.len(),
                diagnostics.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            for diagnostic in &error.diagnostics {
                out!("{diagnostic}");
            }
            let errors = error
                .diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.is_error())
                .count();
            out!(
                "failed: {errors} error(s), {} warning(s)",
                error.diagnostics.len() - errors
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn ask(
    directory: &Path,
    branch: Option<&str>,
    now: Option<&str>,
    json: bool,
    explain: bool,
    question: &str,
) -> Result<ExitCode> {
    let knowledge = load(directory)?;
    if let Some(branch) = branch
        && knowledge.branch(branch).is_none()
    {
        bail!(
            "unknown branch id {branch:?}; branch ids are the file names in {}/branches/",
            directory.display()
        );
    }
    let engine = Engine::new(knowledge, EngineConfig::default());
    let now = instant(&engine, now)?;
    let answer = engine.answer(&Question {
        text: question,
        branch,
        now,
    });
    if explain {
        eprintln!("{}", engine.explain(question));
    }
    if json {
        out!("{}", serde_json::to_string(&answer)?);
    } else {
        out!("{}", answer.text);
        out!("[{} {:.2}]", answer.label(), answer.confidence);
    }
    Ok(ExitCode::SUCCESS)
}

/// `--now` as an instant (a library-local time), or the system clock's now.
fn instant(engine: &Engine, now: Option<&str>) -> Result<chrono::DateTime<Utc>> {
    let Some(text) = now else {
        return Ok(SystemClock.now());
    };
    let timezone = engine.knowledge().library.timezone;
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .with_context(|| format!("--now {text:?}: expected YYYY-MM-DDTHH:MM:SS"))?;
    let utc = timezone
        .from_local_datetime(&local)
        .earliest()
        .with_context(|| format!("--now {text:?} does not exist in {timezone}"))?
        .with_timezone(&Utc);
    Ok(FixedClock(utc).now())
}

fn run_self_check(engine: &Engine, now: chrono::DateTime<Utc>, verbose: bool) -> Result<()> {
    let results = eval::self_check(engine, now);
    for result in &results {
        if result.outcome == HeldOutOutcome::Right && !verbose {
            continue;
        }
        let verdict = match result.outcome {
            HeldOutOutcome::Right => "RIGHT",
            HeldOutOutcome::Wrong => "CONFUSED",
            HeldOutOutcome::Escalated => "WEAK",
        };
        let place = result
            .origin
            .as_ref()
            .map(|(file, line)| format!("{}:{line}: ", file.display()))
            .unwrap_or_default();
        let guess = result
            .answer
            .guess
            .as_ref()
            .and_then(|guess| {
                guess
                    .target
                    .as_ref()
                    .map(|target| format!(" (guess {}:{target} {:.2})", guess.kind, guess.confidence))
            })
            .unwrap_or_default();
        out!(
            "{place}{verdict}: {} {:?}\n    got {} {:.2}{guess}",
            result.entry_id,
            result.phrasing,
            result.answer.label(),
            result.answer.confidence,
        );
    }
    out!("self-check: {}", SelfCheckSummary::of(&results));
    Ok(())
}

fn evaluate(engine: &Engine, min_pass: Option<f64>, verbose: bool, cases: &[PathBuf]) -> Result<ExitCode> {
    let mut all = Vec::new();
    for path in cases {
        let report = eval::run_file(engine, path)?;
        for result in &report.results {
            if result.outcome != Outcome::Pass || verbose {
                let verdict = match result.outcome {
                    Outcome::Pass => "PASS",
                    Outcome::Wrong => "WRONG",
                    Outcome::Escalated => "ESCALATED",
                    Outcome::OverAnswered => "OVER-ANSWERED",
                };
                let guess = result
                    .answer
                    .guess
                    .as_ref()
                    .and_then(|guess| {
                        guess
                            .target
                            .as_ref()
                            .map(|target| format!(" (guess {}:{target} {:.2})", guess.kind, guess.confidence))
                    })
                    .unwrap_or_default();
                out!(
                    "{verdict}: {:?}\n    expected {}, got {} {:.2}{guess}{}",
                    result.ask,
                    result.expected,
                    result.answer.label(),
                    result.answer.confidence,
                    result
                        .detail
                        .as_ref()
                        .map(|detail| format!("\n    {detail}"))
                        .unwrap_or_default()
                );
            }
        }
        out!("{}: {}", report.path.display(), Summary::of(&report.results));
        all.extend(report.results);
    }
    let summary = Summary::of(&all);
    out!("eval: {summary}");
    match min_pass {
        Some(floor) if summary.pass_rate() < floor => {
            out!("eval: below the required {floor:.1}%");
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn chat(directory: &Path, branch: Option<String>, data: Option<&Path>) -> Result<ExitCode> {
    let knowledge = load(directory)?;
    if let Some(id) = &branch
        && knowledge.branch(id).is_none()
    {
        bail!("unknown branch id {id:?}");
    }
    let store = match data {
        Some(path) => Store::open(path, 16 * 1024 * 1024)?,
        None => Store::temporary()?,
    };
    let patron_chat = TerminalAdapter::patron_chat();
    let mut desk_config = Config::default().desk;
    desk_config.system_staff = vec![TerminalAdapter::staff_chat()];
    if let Some(id) = &branch {
        desk_config.branch_chats.insert(patron_chat.clone(), id.clone());
    }
    out!(
        "{} reference desk. Ask a question; /help lists commands. Type :staff to answer tickets as staff, :patron to go back; Ctrl-D quits.",
        knowledge.library.name
    );
    let engine = Engine::new(knowledge, EngineConfig::default());
    let desk = Arc::new(Desk::new(engine, store, desk_config, Arc::new(SystemClock)));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let shutdown = refdesk::adapters::Shutdown::new();
    let adapter: Arc<dyn refdesk::chat::Adapter> = Arc::new(TerminalAdapter::default());
    let sender = runtime.spawn(refdesk::outbox::run(
        Arc::clone(&desk),
        vec![adapter],
        shutdown.clone().cancelled_owned(),
    ));
    let mut editor = rustyline::DefaultEditor::new().context("cannot start line editing")?;
    let mut as_staff = false;
    let mut sequence = 0u64;
    loop {
        let prompt = if as_staff { "staff> " } else { "you> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Eof | rustyline::error::ReadlineError::Interrupted) => break,
            Err(error) => return Err(error).context("reading the terminal"),
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(text);
        match text {
            ":staff" => {
                as_staff = true;
                out!(
                    "     (now typing in the staff chat: /tickets, /reply N TEXT, /close N, /claim N, /transfer N BRANCH)"
                );
                continue;
            }
            ":patron" => {
                as_staff = false;
                continue;
            }
            _ => {}
        }
        // "staff> text" types one line in the staff chat without switching.
        let (text, as_staff) = match text.strip_prefix("staff>") {
            Some(rest) => (rest.trim(), true),
            None => (text, as_staff),
        };
        sequence += 1;
        let (chat, user, name) = if as_staff {
            (TerminalAdapter::staff_chat(), "librarian", "Librarian")
        } else {
            (patron_chat.clone(), "patron", "You")
        };
        let incoming = Incoming {
            update_id: format!("terminal-{}-{sequence}", std::process::id()),
            chat: chat.clone(),
            chat_kind: ChatKind::Direct,
            message_id: format!("in{sequence}"),
            sender: UserRef::new(Platform::Terminal, user),
            display_name: name.to_string(),
            text: text.to_string(),
            reply_to: None,
            reply_to_bot_text: None,
            addressed: true,
        };
        desk.handle(&incoming).context("the desk failed")?;
        // Let the answers print before the next prompt.
        runtime.block_on(async {
            for _ in 0..100 {
                if desk.store().outbox_len() == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        });
    }
    shutdown.cancel();
    let _ = runtime.block_on(sender);
    desk.store().flush()?;
    out!();
    Ok(ExitCode::SUCCESS)
}

fn run_daemon(config_path: &Path, log_format: LogFormat) -> Result<ExitCode> {
    init_tracing(log_format);
    let config = Config::load(config_path)?;
    let tokens = Tokens {
        telegram: token_from_env("TELEGRAM_BOT_TOKEN"),
        discord: token_from_env("DISCORD_BOT_TOKEN"),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let shutdown = refdesk::adapters::Shutdown::new();
        let signal_shutdown = shutdown.clone();
        tokio::spawn(async move {
            wait_for_stop_signal().await;
            tracing::info!("stop signal received; shutting down");
            signal_shutdown.cancel();
        });
        let running = match daemon::start(config, tokens, shutdown.clone()).await {
            Ok(running) => running,
            Err(DaemonError::Knowledge { directory, diagnostics }) => {
                for diagnostic in &diagnostics {
                    eprintln!("{diagnostic}");
                }
                bail!(
                    "the knowledge in {} did not load; fix it (see `refdesk check --knowledge {}`)",
                    directory.display(),
                    directory.display()
                );
            }
            Err(error) => return Err(error.into()),
        };
        shutdown.cancelled().await;
        match tokio::time::timeout(std::time::Duration::from_secs(9), running.finish()).await {
            Ok(result) => result?,
            Err(_) => tracing::warn!("shutdown took too long; exiting with work still in the outbox"),
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn token_from_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|token| token.trim().to_string())
        .filter(|token| !token.is_empty())
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("REFDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn report(data: &Path, since: Option<chrono::NaiveDate>, knowledge_directory: &Path) -> Result<ExitCode> {
    if !data.join("refdesk.sled").exists() {
        bail!("{} holds no refdesk store (the daemon's data_dir)", data.display());
    }
    let store = Store::open(data, 16 * 1024 * 1024)?;
    let engine = Engine::new(load(knowledge_directory)?, EngineConfig::default());
    let report = refdesk::report::build(&store, &engine, since)?;
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
