# Part of odoo19-central-addons. License LGPL-3.
{
    'name': 'OCR Billing Webhook',
    'version': '19.0.1.0.0',
    'summary': 'Receive OCR billing events over an HTTP webhook',
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
