import os

from django.core.wsgi import get_wsgi_application

from opennrm.httpguard.body import ChunkedBodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opennrm.settings")
application = ChunkedBodyLimit(get_wsgi_application())
