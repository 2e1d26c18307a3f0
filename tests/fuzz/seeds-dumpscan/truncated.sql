--
-- PostgreSQL database dump
--

\restrict Zx81fQ

-- Dumped from database version 15.14
-- Dumped by pg_dump version 15.14

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);

CREATE TABLE public.res_partner (
    id integer NOT NULL,
