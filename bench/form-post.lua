-- A 400-byte application/x-www-form-urlencoded POST, shaped like a Twilio inbound webhook.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local body = "ToCountry=US&ToState=CA&SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=0" ..
  "&ToCity=SAN+FRANCISCO&FromZip=94105&SmsSid=SM0123456789abcdef0123456789abcdef&FromState=CA" ..
  "&SmsStatus=received&FromCity=SAN+FRANCISCO&Body=Hi%2C+is+my+order+on+its+way%3F&FromCountry=US" ..
  "&To=%2B14155550100&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&ToZip=94105&NumSegments=1" ..
  "&MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789ab&From=%2B1415"
wrk.body = body .. string.rep("5", 400 - #body)
