# -*- coding: utf-8 -*-
{
	"name": "crlf",
	"depends": ["base",],  # c
}
