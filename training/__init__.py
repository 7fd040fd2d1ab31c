"""Corpus building, dataset import, training and evaluation. Imports engine, never bpy."""
