"""Shared infrastructure for the VAE course notebooks (never the solution of a graded exercise)."""
from .config import data_root, device, pick, quick_mode, seed_everything, setup

__all__ = ["data_root", "device", "pick", "quick_mode", "seed_everything", "setup"]
