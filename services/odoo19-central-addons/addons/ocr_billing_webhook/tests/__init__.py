# Part of odoo19-central-addons. License LGPL-3.
from . import test_webhook
