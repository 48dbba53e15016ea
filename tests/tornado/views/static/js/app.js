console.log("gale & tornado");
