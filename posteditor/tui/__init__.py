"""``posteditor review``: the terminal editor (Textual). ``state`` and ``session`` hold the
review as plain data and never import Textual; the app, screen and widgets render it."""
