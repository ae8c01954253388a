//! The `refdesk` command: parses the command line and calls into the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDateTime, TimeZone, Utc};
use clap::{Parser, Subcommand};

use refdesk::clock::{Clock, FixedClock, SystemClock};
use refdesk::engine::{Answer, AnswerKind, Engine, EngineConfig, Question};
use refdesk::eval::{self, Outcome, Summary};
use refdesk::knowledge::{self, Knowledge};

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
        #[arg(required = true)]
        cases: Vec<PathBuf>,
    },
    /// Talk to the bot in the terminal (no accounts or tokens needed).
    Chat {
        #[arg(long, default_value = "knowledge")]
        knowledge: PathBuf,
        /// Start as a patron of this branch (branch id).
        #[arg(long)]
        branch: Option<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
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
            cases,
        } => {
            let mut config = EngineConfig::default();
            if let Some(threshold) = escalate_below {
                config.escalate_below = threshold;
            }
            evaluate(&knowledge, config, min_pass, verbose, &cases)
        }
        Command::Chat { knowledge, branch } => chat(&knowledge, branch),
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
                println!("{diagnostic}");
            }
            let knowledge = engine.knowledge();
            let faq_count =
                knowledge.faqs.len() + knowledge.branches.iter().map(|branch| branch.faqs.len()).sum::<usize>();
            println!(
                "ok: {} branches, {faq_count} FAQ entries, {} events; {} warning(s)",
                knowledge.branches.len(),
                knowledge.events.len(),
                diagnostics.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            for diagnostic in &error.diagnostics {
                println!("{diagnostic}");
            }
            let errors = error
                .diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.is_error())
                .count();
            println!(
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
    let now = match now {
        Some(text) => {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .with_context(|| format!("--now {text:?}: expected YYYY-MM-DDTHH:MM:SS"))?;
            let utc = knowledge
                .library
                .timezone
                .from_local_datetime(&local)
                .earliest()
                .with_context(|| format!("--now {text:?} does not exist in {}", knowledge.library.timezone))?
                .with_timezone(&Utc);
            FixedClock(utc).now()
        }
        None => SystemClock.now(),
    };
    let engine = Engine::new(knowledge, EngineConfig::default());
    let answer = engine.answer(&Question {
        text: question,
        branch,
        now,
    });
    if explain {
        eprintln!("{}", engine.explain(question));
    }
    if json {
        println!("{}", serde_json::to_string(&answer)?);
    } else {
        println!("{}", answer.text);
        println!("[{} {:.2}]", answer.label(), answer.confidence);
    }
    Ok(ExitCode::SUCCESS)
}

fn evaluate(
    directory: &Path,
    config: EngineConfig,
    min_pass: Option<f64>,
    verbose: bool,
    cases: &[PathBuf],
) -> Result<ExitCode> {
    let engine = Engine::new(load(directory)?, config);
    let mut all = Vec::new();
    for path in cases {
        let report = eval::run_file(&engine, path)?;
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
                println!(
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
        println!("{}: {}", report.path.display(), Summary::of(&report.results));
        all.extend(report.results);
    }
    let summary = Summary::of(&all);
    println!("eval: {summary}");
    match min_pass {
        Some(floor) if summary.pass_rate() < floor => {
            println!("eval: below the required {floor:.1}%");
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn chat(directory: &Path, branch: Option<String>) -> Result<ExitCode> {
    let knowledge = load(directory)?;
    if let Some(id) = &branch
        && knowledge.branch(id).is_none()
    {
        bail!("unknown branch id {id:?}");
    }
    println!(
        "{} reference desk. Ask a question; Ctrl-D to quit.",
        knowledge.library.name
    );
    let engine = Engine::new(knowledge, EngineConfig::default());
    let mut editor = rustyline::DefaultEditor::new().context("cannot start line editing")?;
    loop {
        let line = match editor.readline("you> ") {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Eof | rustyline::error::ReadlineError::Interrupted) => break,
            Err(error) => return Err(error).context("reading the terminal"),
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(text);
        let answer = engine.answer(&Question {
            text,
            branch: branch.as_deref(),
            now: SystemClock.now(),
        });
        print_chat_answer(&answer);
    }
    println!();
    Ok(ExitCode::SUCCESS)
}

fn print_chat_answer(answer: &Answer) {
    println!("bot> {}", answer.text.replace('\n', "\n     "));
    if answer.kind == AnswerKind::Escalate {
        let guess = answer
            .guess
            .as_ref()
            .and_then(|guess| {
                guess
                    .target
                    .as_ref()
                    .map(|target| format!(" (best guess: {}:{target}, {:.2})", guess.kind, guess.confidence))
            })
            .unwrap_or_default();
        println!("     [to staff: the question above{guess}]");
    }
}
