console.log("worker tick");
