# Part of odoo19-central-addons. License LGPL-3.
{
    'name': 'OCR Billing Webhook',
    'version': '19.0.1.0.0',
    'summary': 'Receive OCR billing events over an HTTP webhook',
    'description': """
OCR Billing Webhook
===================
Exposes ``POST /ocr_billing/webhook``: the OCR service posts a JSON body
``{"event": "...", "document_id": "..."}`` and every accepted call is
stored as an *OCR Billing Event* (Settings > Technical is not needed: see
the *OCR Billing* menu).

Optional shared secret: set the system parameter
``ocr_billing_webhook.token``; callers must then send it in the
``X-Webhook-Token`` header.
""",
    'category': 'Accounting',
    'author': 'odoo19-central',
    'license': 'LGPL-3',
    'depends': ['base'],
    'data': [
        'security/ir.model.access.csv',
        'views/ocr_billing_event_views.xml',
    ],
    'installable': True,
    'application': False,
    'auto_install': False,
}
