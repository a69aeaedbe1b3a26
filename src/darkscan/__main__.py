"""``python -m darkscan`` runs the command-line interface."""

from darkscan.cli import run

if __name__ == "__main__":
    run()
