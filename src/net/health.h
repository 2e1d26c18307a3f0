/*
 * Is an Odoo answering and ready? /web/health only proves the HTTP worker
 * and the `postgres` maintenance DB; readiness also needs the business
 * database, checked through JSON-RPC version_info with X-Odoo-Database.
 */
#ifndef ODOOCTL_HEALTH_H
#define ODOOCTL_HEALTH_H

#include "core/config.h"
#include "core/util.h"

/*
 * One probe of base_url ("http://127.0.0.1:PORT"). 0 when healthy and
 * ready; -1 with *cause naming the failing check and its answer.
 */
int health_probe(const struct config_env *env, const char *base_url,
		 char **cause);
/* GET /web/health?db_server_status=1: 200, "pass" and the DB server up. */
int health_live(const struct config_env *env, const char *base_url,
		long timeout_ms, char **cause);
/* JSON-RPC version_info with X-Odoo-Database: env->db_name. */
int health_ready(const struct config_env *env, const char *base_url,
		 long timeout_ms, char **cause);
/*
 * The verdicts on an answer (pure): 1 when /web/health?db_server_status=1
 * answered 200 {"status": "pass", "db_server_status": true}; 1 when
 * version_info answered 200 with a result holding server_version and no
 * error.
 */
int health_live_ok(long status, const struct buf *body);
int health_ready_ok(long status, const struct buf *body);
/* GET base_url/web/health through the proxy: 0 when it answers 200. */
int health_proxy(const struct config_env *env, char **cause);
/* 0 when the proxy serves the maintenance page (503) on GET /web/login. */
int health_proxy_maintenance(const struct config_env *env, char **cause);
/* Runs every smoke check of env against base_url; stops at the first. */
int health_smoke(const struct config_env *env, const char *base_url,
		 char **cause);

#endif
