# Cases and personal data are deliberately not in the Django admin: administrators
# manage agencies and users, and have no need-to-know access to victims' data.
