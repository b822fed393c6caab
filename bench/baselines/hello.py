"""Baseline for pages: a bare Flask route (`gunicorn bench.baselines.hello:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello"


@app.get("/healthz")
def healthz():
    return "ok"
