"""Nothing calls the network at run time: ``correct`` and ``evaluate`` run on a real (tiny)
model with every socket connection and name lookup made to fail the test."""

from __future__ import annotations

import socket

import pytest

from posteditor import cli


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError(f"network call: {args!r:.200}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return calls


def test_correct_and_evaluate_make_no_network_call(tiny_model, tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("POSTEDITOR_CORRECTIONS", str(tmp_path / "corrections.jsonl"))
    mt = tmp_path / "mt.txt"
    mt.write_text("The army fled the world of Hama.\nAid workers say say the border.\n", encoding="utf-8")
    assert cli.main(["correct", str(mt), "--model", str(tiny_model), "-o", str(tmp_path / "out.txt")]) in (0, 1)
    assert cli.main(["evaluate", "--mt", str(mt), "--ref", str(mt), "--model", str(tiny_model)]) == 0
    assert no_network == []
