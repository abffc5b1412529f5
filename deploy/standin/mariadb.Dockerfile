# Stand-in for the official `mariadb` image (deploy/stack only), from Debian's packages.
ARG BASE
FROM ${BASE}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
# Like the official image: no datadir baked in, listen on all addresses, no reverse DNS.
RUN rm -rf /var/lib/mysql && mkdir -p /var/lib/mysql /run/mysqld \
 && chown mysql:mysql /var/lib/mysql /run/mysqld && chmod 1777 /run/mysqld \
 && printf '[mariadb]\nbind-address=0.0.0.0\nskip-name-resolve\nhost-cache-size=0\n' \
      > /etc/mysql/mariadb.conf.d/99-standin.cnf
COPY mariadb-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY mariadb-healthcheck.sh /usr/local/bin/healthcheck.sh
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["mariadbd"]
