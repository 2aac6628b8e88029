// PM2 ecosystem of reporter (molecule scenario `maintenance`): PM2 does not restart it, so
// once it has failed it stays stopped (a stable "down" for the alert runs to see).
module.exports = {
  apps: [{name: 'reporter', script: '/home/twzrd/reporter.js', autorestart: false}],
};
