"""Pieces shared by the apps that belong to none of them."""
