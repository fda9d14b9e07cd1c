"""The workflow folders shipped with the package: data only (see README.md in this folder).

This file makes the folder installable as package data and findable with importlib.resources,
so a wheel, a Lambda zip and a source checkout all carry the same folders.
"""
