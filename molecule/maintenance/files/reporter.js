'use strict';
// A second PM2 app for the molecule scenario `maintenance`: it starts only while
// /run/reporter-ok exists. /run is a tmpfs, so after a reboot it fails at once, PM2 does not
// restart it (autorestart false) and its pm2_app_down alert fires.
const fs = require('fs');
if (!fs.existsSync('/run/reporter-ok')) {
  console.error('ERROR reporter: /run/reporter-ok is missing');
  process.exit(1);
}
setInterval(() => {}, 60000);
