-- PostgreSQL database dump complete
--
SELECT 1;
