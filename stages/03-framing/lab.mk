# Lab 3 — what the build makes of this folder (read by the top-level Makefile).
PROGRAMS := echo wsc
echo_SRCS := echo_main.c
wsc_SRCS := wsc.c
RUN := echo
PAGE := /03-framing/
