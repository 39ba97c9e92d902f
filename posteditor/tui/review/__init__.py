"""tui/review"""
