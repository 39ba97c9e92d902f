"""What the editor knows without Textual: the review state, the session, its journal."""
