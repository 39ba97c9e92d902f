"""learn/finetune"""
