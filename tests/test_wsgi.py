"""The web process's entry point (gunicorn loads hoopbilling.wsgi)."""

import gc
import importlib


def test_the_web_process_keeps_what_it_loaded_out_of_the_garbage_collectors_passes():
    wsgi = importlib.import_module("hoopbilling.wsgi")
    assert callable(wsgi.application)
    assert gc.get_freeze_count() > 10_000  # Django, DRF, the views and their imports
