"""Tests that live with the package: translations and display formatting."""
