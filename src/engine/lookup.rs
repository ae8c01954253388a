//! Lookups the conversation core needs from the engine's indexes without
//! answering a question: which branch a piece of text names.

use super::Engine;
use crate::knowledge::Branch;

impl Engine {
    /// The branch that `text` names ("eastside", "the main library", a branch id,
    /// a typo of a name), if exactly one reading stands out.
    pub fn find_branch(&self, text: &str) -> Option<&Branch> {
        let trimmed = text.trim();
        if let Some(branch) = self.knowledge.branch(&trimmed.to_lowercase()) {
            return Some(branch);
        }
        let surface = self.pipeline.surface_words(trimmed);
        let mentions = self.branches.find(&surface);
        mentions
            .first()
            .and_then(|mention| self.knowledge.branch(&mention.branch_id))
    }
}

impl Engine {
    /// The content terms of a text (stemmed, synonyms and concepts applied, stop
    /// words dropped), sorted: what two questions must share to be "the same question".
    pub fn content_terms(&self, text: &str) -> Vec<String> {
        super::content_terms(&self.pipeline.words(text))
    }
}
