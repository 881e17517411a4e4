/** The release of Flinkvisor; /version endpoints and `flinkvisor --version` report it. */
export const FLINKVISOR_VERSION = '0.1.0';
export const FLINKVISOR_NAME = 'flinkvisor';
