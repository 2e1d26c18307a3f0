/*
 * Registry credentials as the docker client keeps them: `docker login`
 * writes base64("user:password") under "auths" in $DOCKER_CONFIG/config.json
 * (else ~/.docker/config.json), keyed by the registry's host. The Engine API
 * wants them per request in the X-Registry-Auth header, which is how pull
 * and push reach a private registry such as ghcr.io. A credential helper
 * (credHelpers[host], else credsStore) comes first, as in the docker
 * client: `docker-credential-NAME get` from PATH, the registry on stdin,
 * {"Username","Secret"} JSON out ("<token>" as Username: an identity
 * token); when it has nothing for the host, "auths" is read.
 */
#ifndef ODOOCTL_REGAUTH_H
#define ODOOCTL_REGAUTH_H

/* "e30=", base64("{}"): no credentials, for a public or open registry. */
#define REGAUTH_NONE "e30="

/*
 * The registry host of an image reference, as docker reads it: the part
 * before the first '/' when it has a '.' or ':' or is "localhost", else
 * "docker.io". Caller frees.
 */
char *regauth_host(const char *ref);

/*
 * The X-Registry-Auth value for ref's registry from the docker client's
 * config file: base64url of {"username","password","serveraddress"}, or
 * REGAUTH_NONE (a copy) when the file or an entry for that host is absent.
 * NULL with *cause when the file or its entry cannot be read or decoded,
 * or the helper is missing, fails or answers garbage.
 * The caller frees it with secret_free().
 */
char *regauth_header(const char *ref, char **cause);

/* The config file regauth_header() reads. Caller frees. */
char *regauth_config_path(void);

#endif
