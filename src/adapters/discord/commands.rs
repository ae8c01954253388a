//! Slash commands: their definitions (registered per guild) and the command
//! text each invocation stands for, so the desk sees `/hours eastside` the same
//! way from Discord, Telegram or the terminal.

use serenity::all::{CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand, CreateCommandOption};

/// Every command the bot registers in a guild.
pub fn definitions() -> Vec<CreateCommand> {
    let text = |name: &str, description: &str, required: bool| {
        CreateCommandOption::new(CommandOptionType::String, name, description)
            .required(required)
            .max_length(1500)
    };
    vec![
        CreateCommand::new("ask")
            .description("Ask the library a question")
            .add_option(text("question", "Your question", true)),
        CreateCommand::new("hours")
            .description("This week's opening hours")
            .add_option(text("branch", "A branch (default: this channel's)", false)),
        CreateCommand::new("events")
            .description("What's on this week")
            .add_option(text("branch", "A branch (default: this channel's)", false)),
        CreateCommand::new("branch")
            .description("Choose your home branch")
            .add_option(text("name", "The branch's name", false)),
        CreateCommand::new("staff")
            .description("Send your question straight to library staff")
            .add_option(text("question", "Your question", true)),
        CreateCommand::new("reply")
            .description("Staff: answer a ticket")
            .add_option(
                CreateCommandOption::new(CommandOptionType::Integer, "ticket", "The ticket number")
                    .required(true)
                    .min_int_value(1),
            )
            .add_option(text("text", "Your answer", true)),
    ]
}

/// The message text an invocation stands for: the question itself for `/ask`,
/// `/name arguments` for the others. `None` for commands the bot doesn't have.
pub fn command_text(name: &str, options: &[CommandDataOption]) -> Option<String> {
    let option = |wanted: &str| {
        options
            .iter()
            .find(|option| option.name == wanted)
            .and_then(|option| match &option.value {
                CommandDataOptionValue::String(text) => Some(text.trim().to_string()),
                CommandDataOptionValue::Integer(number) => Some(number.to_string()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let with_argument = |argument: String| {
        if argument.is_empty() {
            format!("/{name}")
        } else {
            format!("/{name} {argument}")
        }
    };
    match name {
        "ask" => Some(option("question")),
        "hours" | "events" => Some(with_argument(option("branch"))),
        "branch" => Some(with_argument(option("name"))),
        "staff" => Some(with_argument(option("question"))),
        "reply" => Some(with_argument(
            format!("{} {}", option("ticket"), option("text")).trim().to_string(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn options(value: serde_json::Value) -> Vec<CommandDataOption> {
        serde_json::from_value(value).expect("valid command options")
    }

    #[test]
    fn invocations_become_command_text() {
        let cases = [
            (
                "ask",
                json!([{"name": "question", "type": 3, "value": " is main open? "}]),
                Some("is main open?"),
            ),
            (
                "hours",
                json!([{"name": "branch", "type": 3, "value": "eastside"}]),
                Some("/hours eastside"),
            ),
            ("hours", json!([]), Some("/hours")),
            ("events", json!([]), Some("/events")),
            (
                "branch",
                json!([{"name": "name", "type": 3, "value": "Main"}]),
                Some("/branch Main"),
            ),
            (
                "staff",
                json!([{"name": "question", "type": 3, "value": "donations?"}]),
                Some("/staff donations?"),
            ),
            (
                "reply",
                json!([{"name": "ticket", "type": 4, "value": 12}, {"name": "text", "type": 3, "value": "Yes."}]),
                Some("/reply 12 Yes."),
            ),
            ("launch", json!([]), None),
        ];
        for (name, value, expected) in cases {
            assert_eq!(command_text(name, &options(value)).as_deref(), expected, "/{name}");
        }
    }

    #[test]
    fn every_definition_has_text() {
        for command in definitions() {
            let value = serde_json::to_value(&command).unwrap();
            let name = value["name"].as_str().unwrap();
            assert!(command_text(name, &[]).is_some(), "/{name}");
        }
    }
}
