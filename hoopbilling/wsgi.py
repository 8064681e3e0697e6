import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoopbilling.settings")
application = get_wsgi_application()

# What is loaded by now lives as long as the process. Every view module is imported here
# (the URL patterns), then all of it is moved out of reach of the cyclic garbage collector:
# its full passes walked every object of every imported module (Django, DRF, Stripe's SDK,
# Celery) and stalled a web process for 100-230 ms, about once a second under load.
get_resolver().url_patterns  # noqa: B018  (imports the views)
gc.collect()
gc.freeze()
