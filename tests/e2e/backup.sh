# shellcheck shell=bash
# Helpers for the backup tests, on top of lib.sh and deploy.sh:
#   backup_stack            stack_up e2e, a release deployed; sets
#                           $ODOO (its container) and $PG (postgres')
#   seed_data               Odoo-like tables in the database `central`
#                           (ir_attachment with store_fname, ir_cron,
#                           ir_model_data, ir_mail_server,
#                           ir_config_parameter, ir_actions with a child
#                           table that inherits it, as Odoo's schema has,
#                           a few thousand partners)
#                           and their files in the filestore, written by
#                           the release container as Odoo would
#   db_dump DB              pg_dump of DB inside the postgres container,
#                           without the random \restrict key lines
#   fs_tree DB              every file and directory of filestore/DB:
#                           type, mode, owner, size, md5
#   databases               the databases of the stack, one a line
#   pg_sql DB SQL           psql -At in the postgres container

backup_stack() {
	stack_up e2e
	release A
	"$ODOOCTL" -q deploy "$DIGEST" e2e alice >"$STACK_DIR/deploy.log" 2>&1 ||
		bail "the first deploy failed: $(cat "$STACK_DIR/deploy.log")"
	ODOO=$(current_id)
	PG=$(stack_container postgres)
}

pg_sql() {
	"$DOCKER" exec -i "$PG" psql -X -q -At -v ON_ERROR_STOP=1 -U odoo \
		-d "$1" -c "$2"
}

seed_data() {
	"$DOCKER" exec -i "$PG" psql -X -q -v ON_ERROR_STOP=1 -U odoo \
		-d central <<-'EOF'
		CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar,
			email varchar, note text);
		INSERT INTO res_partner (name, email, note)
			SELECT 'partner ' || i, 'p' || i || '@example.com',
				E'tab\there, newline\nthere, quote '' and \\ too'
			FROM generate_series(1, 5000) i;
		CREATE TABLE ir_attachment (id serial PRIMARY KEY,
			name varchar, store_fname varchar, file_size int);
		INSERT INTO ir_attachment (name, store_fname, file_size) VALUES
			('invoice.pdf', 'ab/ab12cd34', 5),
			('scan.png', 'cd/cd56ef78', 300000),
			('inline', NULL, NULL);
		CREATE TABLE ir_model_data (id serial PRIMARY KEY,
			module varchar NOT NULL, name varchar NOT NULL,
			model varchar NOT NULL, res_id int);
		CREATE TABLE ir_cron (id serial PRIMARY KEY, cron_name varchar,
			active boolean);
		INSERT INTO ir_cron (cron_name, active) VALUES
			('Base: Auto-vacuum internal data', true),
			('Mail: Email Queue Manager', true),
			('Invoices: send', true);
		INSERT INTO ir_model_data (module, name, model, res_id)
			VALUES ('base', 'autovacuum_job', 'ir.cron', 1);
		CREATE TABLE ir_mail_server (id serial PRIMARY KEY,
			name varchar NOT NULL, smtp_host varchar, smtp_port int,
			smtp_encryption varchar, smtp_authentication varchar,
			active boolean);
		INSERT INTO ir_mail_server (name, smtp_host, smtp_port,
			smtp_encryption, smtp_authentication, active) VALUES
			('production SMTP', 'smtp.example.com', 587, 'starttls',
			 'login', true);
		-- Odoo's schema uses table inheritance: count(*) of the
		-- parent counts its children's rows, pg_dump writes each
		-- table's own.
		CREATE TABLE ir_actions (id serial PRIMARY KEY,
			name varchar, type varchar);
		CREATE TABLE ir_act_window (res_model varchar)
			INHERITS (ir_actions);
		INSERT INTO ir_actions (name, type)
			VALUES ('Settings', 'ir.actions.client');
		INSERT INTO ir_act_window (name, type, res_model)
			SELECT 'window ' || i, 'ir.actions.act_window',
				'res.partner' FROM generate_series(1, 40) i;
		CREATE TABLE ir_config_parameter (id serial PRIMARY KEY,
			key varchar NOT NULL UNIQUE, value text NOT NULL);
		INSERT INTO ir_config_parameter (key, value)
			VALUES ('web.base.url', 'https://erp.example.com');
	EOF
	"$DOCKER" exec "$ODOO" sh -c '
		cd /var/lib/odoo/filestore/central &&
		mkdir -p ab cd && printf hello > ab/ab12cd34 &&
		head -c 300000 /dev/urandom > cd/cd56ef78 &&
		chmod 600 ab/ab12cd34'
}

db_dump() {
	"$DOCKER" exec "$PG" pg_dump -U odoo --no-owner -d "$1" |
		grep -v '^\\\(un\)\?restrict '
}

fs_tree() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$DOCKER" exec "$ODOO" sh -c '
		cd /var/lib/odoo/filestore/"$1" 2>/dev/null || exit 0
		find . | sort | while read -r f; do
			if [ -f "$f" ]; then
				echo "$f $(stat -c "%a %u:%g %s" "$f") $(md5sum < "$f")"
			else
				echo "$f $(stat -c "%F %a %u:%g" "$f")"
			fi
		done' sh "$1"
}

databases() {
	pg_sql postgres "SELECT datname FROM pg_database ORDER BY 1"
}
