"""In-app notifications and reminders: an inbox per user, e-mail without personal data.

Other apps call :func:`opennrm.notifications.services.notify` (or ``notify_agency``) and
register reminder sources with :func:`opennrm.notifications.reminders.register`.
"""
