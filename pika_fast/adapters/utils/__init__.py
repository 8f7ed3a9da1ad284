"""Adapter utilities, under pika's module names."""
