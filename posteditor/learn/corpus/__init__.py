"""learn/corpus"""
