# The pustaka image from a binary built on the host (deploy/stack only): the same runtime
# as the project's Dockerfile (deploy/image/rootfs.sh on a bookworm base, then scratch).
ARG BASE
FROM ${BASE} AS rootfs
COPY pustaka /rootfs/usr/local/bin/pustaka
COPY rootfs.sh /rootfs.sh
RUN sh /rootfs.sh /rootfs

FROM scratch
COPY --from=rootfs /rootfs/ /
ENV PUSTAKA_LISTEN=0.0.0.0:8080 PUSTAKA_WEB_DIR=/srv/pustaka/web PUSTAKA_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["/usr/local/bin/pustaka", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/pustaka"]
CMD ["serve"]
